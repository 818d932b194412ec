"""One module per perception channel (or backend); `mmem.perceive.registry` lists them."""
