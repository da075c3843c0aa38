"""Running Lambda functions locally: the runner (`runner`), its execution environments (`environment`,
`bootstrap`), the runtimes' interpreters (`interpreters`), function resolution (`functions`), and the seam
between what calls a function and what runs it (`invoke`)."""
