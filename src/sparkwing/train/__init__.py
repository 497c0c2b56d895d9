"""sparkwing.train"""
