"""OPC UA over asyncua: the only package that touches the wire (sessions, browse, subscriptions, services).

`OpcUaConnector` opens sessions (connector.py), `OpcUaConnection` is one session (session.py), and
convert.py turns asyncua values and failures into the adapter's plain types and errors.
"""

from adapters.deltav.client.connector import OpcUaConnector
from adapters.deltav.client.session import OpcUaConnection

__all__ = ["OpcUaConnection", "OpcUaConnector"]
