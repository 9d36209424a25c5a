"""Training, pre-training and evaluation for rumorclf. Imports `rumorclf`; never the reverse."""
