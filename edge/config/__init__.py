"""The site file: its model (`site`), time windows (`windows`), geometric checks (`checks`) and
loader (`load`). Light and pure apart from the loader's one read: every stage and the
calibration tool are its clients, it is a client of none of them."""
