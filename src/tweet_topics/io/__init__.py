"""Reading and writing files: users' CSV exports, the split datasets, fitted arrays, atomic writes."""
