//! docs/outputs.md documents every column of every output file.
