"""Emerson DeltaV DCS simulator: an OPC UA server with an ISA-88 plant, batch phases, alarms and an audit trail.

It speaks real OPC UA (asyncua) so that the DeltaV adapter and any third-party client (UaExpert,
asyncua's `uals`/`uaread`/`uasubscribe`) see what they would see on a plant's DeltaV OPC UA server.
"""
