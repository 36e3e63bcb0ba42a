"""pytest plugin (placeholder while the plugin is written; see the issue on the plugin)."""
