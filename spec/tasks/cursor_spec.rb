# frozen_string_literal: true

require "intercom_sync/tasks"
require "tmpdir"

RSpec.describe IntercomSync::Tasks::Cursor do
  let(:key) { { "user_class" => "User", "scope" => nil, "since" => nil, "mode" => "sync" } }

  around { |example| Dir.mktmpdir("cursor") { |dir| @dir = dir; example.run } }

  it "lives in tmp/intercom_sync/ under the app's root, one file per kind of run" do
    expect(described_class.default_path(key, root: "/app")).to eq("/app/tmp/intercom_sync/backfill.cursor")
    other = key.merge("scope" => "active", "since" => "2026-11-01T00:00:00Z", "mode" => "enqueue")
    expect(described_class.default_path(other, root: "/app"))
      .to eq("/app/tmp/intercom_sync/backfill-active-since-20261101T000000Z-enqueue.cursor")
  end

  it "saves and loads the state of its own run, and is gone once deleted" do
    cursor = described_class.new(File.join(@dir, "a", "b.cursor"), key)
    expect(cursor.load).to be_nil
    cursor.save("mark" => 41, "ok" => 3)
    expect(described_class.new(cursor.path, key).load).to eq("mark" => 41, "ok" => 3)
    expect(Dir.children(File.dirname(cursor.path))).to eq(["b.cursor"]) # no temporary file left
    cursor.delete
    expect(cursor.exist?).to be(false)
  end

  it "refuses the cursor of another run, and a file that is not one, saying what to do" do
    path = File.join(@dir, "x.cursor")
    described_class.new(path, key.merge("since" => "2026-01-01T00:00:00Z")).save({})
    expect { described_class.new(path, key).load }
      .to raise_error(IntercomSync::Tasks::UsageError, /another backfill \(user_class User, since 2026-01-01T00:00:00Z, mode sync\).*FRESH=1/)
    File.write(path, "{oops")
    expect { described_class.new(path, key).load }.to raise_error(IntercomSync::Tasks::UsageError, /not JSON.*FRESH=1/)
  end
end
