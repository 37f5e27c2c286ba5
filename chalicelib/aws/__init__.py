"""AWS plumbing every feature shares: configuration from the environment, the boto3 clients with their time
limits, the PynamoDB models, UTC stamps, metrics as log lines and DynamoDB's item-size arithmetic.

Nothing here imports another chalicelib package.
"""
