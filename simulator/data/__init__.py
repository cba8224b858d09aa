"""Package data for propsim: committed aggregate empirical profiles (``empirical_profiles.json``)."""
