"""The network as a typed graph of layers (preview of issue 23)."""
