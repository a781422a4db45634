"""Request and response models shared by the routers."""
