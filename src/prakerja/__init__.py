"""prakerja: event-sourced case management for a pre-employment benefit programme."""
