package aui

import (
	"encoding/json"
	"net/url"
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

// queryValue must agree with url.Values.Get.
func TestQueryValueMatchesURLQuery(t *testing.T) {
	for _, raw := range []string{
		"roomId=r1&ts=1", "ts=1&roomId=r%2D1", "roomId=a+b", "room%49d=x", "roomId=%zz&roomId=ok",
		"roomId;x=1&roomId=y", "roomId", "roomId=", "=v&roomId=z", "", "roomId=1&roomId=2", "roomId=%E4%B8%AD",
	} {
		want := mustParseQuery(raw).Get("roomId")
		if got := queryValue(raw, "roomId"); got != want {
			t.Errorf("queryValue(%q) = %q, want %q", raw, got, want)
		}
	}
}

func FuzzQueryValue(f *testing.F) {
	f.Add("roomId=r1&ts=1", "roomId")
	f.Add("a=%zz&a=b", "a")
	f.Fuzz(func(t *testing.T, raw, name string) {
		if got, want := queryValue(raw, name), mustParseQuery(raw).Get(name); got != want {
			t.Errorf("queryValue(%q, %q) = %q, want %q", raw, name, got, want)
		}
	})
}

func mustParseQuery(raw string) url.Values {
	v, _ := url.ParseQuery(raw)
	return v
}
