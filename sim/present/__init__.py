"""The presentation layer: terminal tables, run files, the HTML report and its figures, scenario summaries."""
