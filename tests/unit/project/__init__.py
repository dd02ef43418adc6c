"""Tests of the repository as a whole: docs, deploy/ files and Grafana dashboards."""
