"""Thin adapters for everything with side effects; heavy libraries are imported lazily."""
