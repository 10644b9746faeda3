package aui

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"examhall"
)

// appendUserInfo must produce exactly what encoding/json makes of the struct.
func TestAppendUserInfoMatchesEncodingJSON(t *testing.T) {
	for _, d := range []userInfoData{
		{ID: "u1", Name: "张三", UserStatus: 1, StreamURLs: examhall.StreamURLs{
			RTCPushURL: "artc://push.example.com/exam/e-r-u1?grtn_twin_rtmp=on&auth_key=1-a-0-b",
			RTSPullURL: "artc://pull.example.com/exam/e-r-u1_240p?auth_key=1-a-0-b",
		}},
		{ID: "u2", Name: "quote \" back\\slash <tag> \n tab\t", UserStatus: 0},
		{ID: "", Name: "\xff invalid utf-8"},
	} {
		var got, want any
		if err := json.Unmarshal(appendUserInfo(nil, &d), &got); err != nil {
			t.Fatalf("appendUserInfo(%+v) is not JSON: %v", d, err)
		}
		b, _ := json.Marshal(d)
		json.Unmarshal(b, &want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("appendUserInfo mismatch (-encoding/json +fast):\n%s", diff)
		}
	}
}
