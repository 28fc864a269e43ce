"""What the tests share: the sample quiz, steps through the API, real processes, and
the system run in-process. Test modules import helpers from here only, never from
each other or from a conftest."""
