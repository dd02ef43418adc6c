"""Unit tests of streams/api/: the HTTP views, their answers and docs/openapi.json."""
