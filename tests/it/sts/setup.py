"""Seeds a moto server that enforces IAM for the cross-account test (tests/it/aws.rs).

Usage: python setup.py ENDPOINT. Prints one JSON object: the allowed and the denied user's access keys, the role's
ARN, the bucket. Makes exactly SETUP_ACTIONS AWS calls, the count the server was started to leave unauthenticated
(INITIAL_NO_AUTH_ACTION_COUNT); every call after them is authenticated and authorized by moto as IAM would.
"""
import json
import sys

import boto3

SETUP_ACTIONS = 9
ACCOUNT = "123456789012"


def main(endpoint):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
    iam, s3 = boto3.client("iam", **kw), boto3.client("s3", **kw)
    users = {}
    for name in ["allowed", "denied"]:
        iam.create_user(UserName=name)  # 1, 3
        key = iam.create_access_key(UserName=name)["AccessKey"]  # 2, 4
        users[name] = {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    # The payer account's role trusts the allowed user (moto matches a trust principal exactly) ...
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:user/allowed"]}}]}
    role = iam.create_role(RoleName="billing-reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]  # 5
    read = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}]}
    iam.put_role_policy(RoleName="billing-reader", PolicyName="read", PolicyDocument=json.dumps(read))  # 6
    # ... and the allowed user may call sts:AssumeRole on it; the denied user may call nothing.
    assume = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]}
    iam.put_user_policy(UserName="allowed", PolicyName="assume", PolicyDocument=json.dumps(assume))  # 7
    s3.create_bucket(Bucket="payer-billing")  # 8
    line = ("line_item_usage_start_date,line_item_usage_account_id,line_item_product_code,line_item_usage_type,"
            "line_item_operation,line_item_resource_id,line_item_usage_amount,pricing_unit,line_item_unblended_cost,"
            "line_item_currency_code\n"
            "2026-11-01T00:00:00Z,111122223333,AmazonMSK,USE1-Kafka.Storage.GP2,,arn:aws:kafka:x,10,GB-Mo,1.00,USD\n")
    s3.put_object(Bucket="payer-billing", Key="cur/cur-00001.csv", Body=line.encode())  # 9
    print(json.dumps({"role": role, "bucket": "payer-billing", **users}))


if __name__ == "__main__":
    main(sys.argv[1])
