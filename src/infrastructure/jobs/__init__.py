"""Job-queue adapters (SAQ on Redis, in-process) and the dead-letter store they share."""
