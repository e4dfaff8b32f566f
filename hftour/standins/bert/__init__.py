"""BERT-family stand-ins (uncased WordPiece, MiniLM's real encoder): sentiment, NER, zero-shot NLI, extractive QA, masked LM."""
