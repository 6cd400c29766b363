"""Running the site: database reconnection, request limits, health checks, user-file headers, object
storage, and the worker, scheduler and healthcheck commands. Below every domain app: it imports none."""
