"""healthscore gateway: vendor webhooks and plain HTTP turned into input events on Kafka."""
