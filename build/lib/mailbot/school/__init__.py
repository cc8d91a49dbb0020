"""The school's world as data: people, calendar, schedule, routes and the rule files."""
