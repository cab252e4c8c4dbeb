//! docs/scenario-format.md documents every key the scenario files use.
