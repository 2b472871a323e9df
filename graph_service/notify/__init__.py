"""Push and watch (docs/notifications.md): subscriptions, the notices made from the store's change log,
their delivery to departments' endpoints, and the pull feed."""
