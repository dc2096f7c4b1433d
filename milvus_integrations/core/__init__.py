"""The framework-free core: connection config, schema inference, filters, the seed client and the shared store."""
