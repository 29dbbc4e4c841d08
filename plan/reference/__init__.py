"""Reference data: loading the plan and the departments from fixtures/, and reading the source
document they were made from.

- loading.py: keeping reference rows in step with a fixture without losing what people changed;
  every app's reference_data.py loads through it
- data.py: the plan's own loaders (departments, the plan, the measures' responsibilities)
- source.py: reading the plan's source document (fixtures/source/), for the tests that check the
  fixture against it
"""
