"""The official AstroCLIP v2 model (PolymathicAI) in plain torch with its parameter names."""
