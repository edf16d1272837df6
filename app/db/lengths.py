"""Column lengths, shared by the models, the schemas and code that cuts input to fit."""

EMAIL_MAX_LENGTH = 320
FULL_NAME_MAX_LENGTH = 255
IP_MAX_LENGTH = 64
USER_AGENT_MAX_LENGTH = 512
TOKEN_HASH_LENGTH = 64  # SHA-256, hex
KIND_MAX_LENGTH = 50
