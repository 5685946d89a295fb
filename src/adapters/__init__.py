"""Reference adapters for the ports of subscription_core: one subpackage per technology."""
