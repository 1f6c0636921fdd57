"""Administration: host admins run venues, facilities and staff; the district runs organizations."""
