"""The canonical model: the one vocabulary every gxplink component speaks.

Entities follow ISA-95/ISA-88; events and commands travel as CloudEvents envelopes. This package
imports nothing from the rest of gxplink, so any component (and any consumer) can depend on it.
"""
