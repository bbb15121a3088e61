package console

import (
	"context"
	"fmt"
	"testing"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/workspace"
)

// BenchmarkLive200 is one refresh of the Live page (it refreshes every
// second) with 200 students connected, each with two views and a file open
// (their Python not started: the sandbox figures are measured in the
// sandbox's own tests).
func BenchmarkLive200(b *testing.B) {
	fx := newFixture(b)
	ctx := context.Background()
	for i := range 200 {
		name := fmt.Sprintf("s%03d", i)
		if _, _, err := fx.acc.AddUser(ctx, accounts.Actor{Name: "cli:bench"}, accounts.NewUser{Username: name, Role: store.RoleStudent, Password: "correct horse battery"}); err != nil {
			b.Fatal(err)
		}
		ws, detach, err := fx.ws.Attach(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(detach)
		ws.AttachView(workspace.ViewOptions{Transport: "ssh"}, 100, 30)
		ws.AttachView(workspace.ViewOptions{Transport: "web"}, 120, 40)
		if _, err := ws.Open("welcome.py"); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		list, err := fx.prof.Live(ctx)
		if err != nil || len(list) != 200 {
			b.Fatalf("Live: %d students, %v", len(list), err)
		}
	}
}

// BenchmarkRoster200 is one refresh of the Students page with 200 students online.
func BenchmarkRoster200(b *testing.B) {
	fx := newFixture(b)
	ctx := context.Background()
	for i := range 200 {
		name := fmt.Sprintf("s%03d", i)
		if _, _, err := fx.acc.AddUser(ctx, accounts.Actor{Name: "cli:bench"}, accounts.NewUser{Username: name, Role: store.RoleStudent, Password: "correct horse battery"}); err != nil {
			b.Fatal(err)
		}
		ws, detach, err := fx.ws.Attach(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(detach)
		ws.AttachView(workspace.ViewOptions{Transport: "ssh"}, 100, 30)
	}
	b.ResetTimer()
	for b.Loop() {
		if list, err := fx.prof.Roster(ctx); err != nil || len(list) != 205 {
			b.Fatalf("Roster: %d users, %v", len(list), err)
		}
	}
}
