"""One module per webhook source: its signature check and its mapping to input events."""
