"""The governance catalog: instruments, provisions, principles and the crosswalk between them."""
