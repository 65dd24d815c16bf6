"""The MSK IAM token AWS's aws-msk-iam-sasl-signer-python makes for fixed credentials and a fixed time.

Usage: python reference.py REGION ACCESS_KEY SECRET_KEY SESSION_TOKEN EPOCH_SECONDS. Prints the token. botocore's
clock is fixed at EPOCH_SECONDS so the signature can be compared, not only the URL before signing.
"""
import datetime
import sys

import botocore.auth
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
from botocore.credentials import CredentialProvider, Credentials


class Fixed(CredentialProvider):
    def __init__(self, access, secret, token):
        super().__init__()
        self.creds = Credentials(access, secret, token)

    def load(self):
        return self.creds


def main(region, access, secret, token, epoch):
    at = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    botocore.auth.get_current_datetime = lambda *args, **kwargs: at.replace(tzinfo=None)
    provider = Fixed(access, secret, token)
    token, _expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(region, provider)
    print(token)


if __name__ == "__main__":
    main(*sys.argv[1:])
