"""Several schools in one deployment (an education department serving a district's schools
from one server): the district file and its schools (deployment.py), one App per school on
one database (apps.py), outgoing mail routed to each school's own SMTP (transport.py), the
district digest that sets the schools' weekly figures side by side (digest.py), and the
commands that cover every school (commands.py)."""
