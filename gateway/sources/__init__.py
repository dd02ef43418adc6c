"""One module per webhook source: its config model, signature check and mapping.

segment, zendesk, stripe, typeform: a `<Vendor>Config` (pydantic, read by
gateway.config) and a `<Vendor>Source` implementing gateway.source.Source.
common: what they share (paths, event ids, times, account rules).
These modules import only models, gateway.source and gateway.signatures, and do no I/O.
"""
