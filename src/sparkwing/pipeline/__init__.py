"""sparkwing.pipeline"""
