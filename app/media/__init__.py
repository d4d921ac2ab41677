"""Media: files items show (images, audio, video), stored by content, served only to who may see them."""
