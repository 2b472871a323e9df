"""Who may call the service, what each may see, and the audit trail of what they did."""
