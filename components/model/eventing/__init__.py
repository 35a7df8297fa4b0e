"""Knative Eventing: brokers, sources, triggers and schedules, and the rules Knative's webhook applies to them."""
