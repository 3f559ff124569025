package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// NewUserWithout creates IAM user name holding Medusa's MedusaStorageStrategy
// policy over the server's buckets minus the actions drop (e.g.
// "s3:AbortMultipartUpload"), and returns its access key: the "user
// missing one action" of `medusa check`'s tests. Every action of drop must
// be in the policy.
func (s *S3Server) NewUserWithout(ctx context.Context, name string, drop ...string) (Credentials, error) {
	s.mu.Lock()
	buckets := slices.Clone(s.buckets)
	s.mu.Unlock()
	var doc policyDocument
	if err := json.Unmarshal(medusaPolicy, &doc); err != nil {
		return Credentials{}, fmt.Errorf("parse embedded policy: %w", err)
	}
	removed := 0
	for i, st := range doc.Statement {
		doc.Statement[i].Resource = expandResources(st.Resource, buckets)
		acts, ok := st.Action.([]any)
		if !ok {
			continue
		}
		kept := acts[:0:0]
		for _, a := range acts {
			if slices.Contains(drop, fmt.Sprint(a)) {
				removed++
				continue
			}
			kept = append(kept, a)
		}
		doc.Statement[i].Action = kept
	}
	if removed != len(drop) {
		return Credentials{}, fmt.Errorf("drop %v: only %d of these actions are in the policy", drop, removed)
	}
	policy, err := json.Marshal(doc)
	if err != nil {
		return Credentials{}, err
	}
	iam := s.iam()
	if err := iam.call(ctx, "CreateUser", map[string]string{"UserName": name}, nil); err != nil {
		return Credentials{}, err
	}
	var key createAccessKeyResponse
	if err := iam.call(ctx, "CreateAccessKey", map[string]string{"UserName": name}, &key); err != nil {
		return Credentials{}, err
	}
	err = iam.call(ctx, "PutUserPolicy", map[string]string{
		"UserName": name, "PolicyName": restrictedPolicyName, "PolicyDocument": string(policy),
	}, nil)
	if err != nil {
		return Credentials{}, fmt.Errorf("grant %s: %w", name, err)
	}
	return Credentials{AccessKey: key.AccessKey.AccessKeyID, Secret: key.AccessKey.SecretAccessKey}, nil
}
