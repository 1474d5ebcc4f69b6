# frozen_string_literal: true

require "intercom_sync/log_subscriber"

# The events' debug lines. Loading the file attached the subscriber; it is attached for these
# examples only, so the rest of the suite runs as an app whose logger shows no debug lines would.
IntercomSync::LogSubscriber.detach_from(:intercom_sync)

RSpec.describe IntercomSync::LogSubscriber, sync: true do
  around do |example|
    described_class.attach
    example.run
  ensure
    described_class.detach_from(:intercom_sync)
  end

  before { define_user_attributes }

  def debug_lines
    log.string.lines.grep(/\AD, /).map { |line| line.sub(/\A.*? : /, "").chomp }
  end

  it "logs one debug line per request and one per sync, from the events" do
    IntercomSync.configuration.create_first = :never # looked up first: an error answer's line
    user = create_user
    SyncWithIntercom.perform(user)
    contact = user.reload.metadata["intercom_user_id"]
    lines = debug_lines
    expect(lines.size).to eq(emulator.requests.size + 1)
    expect(lines[0]).to match(%r{\A\[intercom_sync\] GET /data_attributes 200 \(\d+\.\dms, \d+/\d+ left\)\z})
    expect(lines[1]).to match(%r{\A\[intercom_sync\] GET /contacts/find_by_external_id/\{id\} 404 IntercomSync::NotFoundError \(\d+\.\dms, \d+/\d+ left\)\z})
    expect(lines.last).to match(/\A\[intercom_sync\] synced user #{user.id} \(contact #{contact}, created\) in \d+\.\dms, #{emulator.requests.size} requests; pushed .*email/)
  end

  it "says how a request was retried and how long it waited" do
    emulator.inject(:status, status: 503, path: "/data_attributes", times: 1)
    IntercomSync.thread_client.get("/data_attributes")
    expect(debug_lines).to match([%r{\A\[intercom_sync\] GET /data_attributes 200 \(\d+\.\dms, 1 retry, waited \d+ms, \d+/\d+ left\)\z}])
  end

  it "names a failed sync's error" do
    user = create_user
    emulator.inject(:status, status: 401, code: "unauthorized", path: %r{/contacts})
    expect { SyncWithIntercom.perform(user) }.to raise_error(IntercomSync::AuthenticationError)
    expect(debug_lines.last).to match(/\A\[intercom_sync\] sync of user #{user.id} failed with IntercomSync::AuthenticationError in \d+\.\dms, \d+ requests?\z/)
  end

  it "never logs the token or an email" do
    user = create_user(email: "private.person@example.com", created_at: Time.now - 3600)
    emulator.seed_contact(role: "lead", email: "private.person@example.com")
    SyncWithIntercom.perform(user)
    expect(debug_lines.join("\n")).to include("/contacts/search").and include("/contacts/merge")
    expect(debug_lines.join("\n")).not_to include("example.com")
    expect(debug_lines.join("\n")).not_to include(emulator.token)
  end

  it "is silent, and keeps no trace, when the logger shows no debug lines" do
    IntercomSync.configuration.logger.level = Logger::INFO
    expect(IntercomSync::Instrumentation.listening?(IntercomSync::Instrumentation::REQUEST)).to be(false)
    SyncWithIntercom.perform(create_user)
    expect(log.string).not_to include("[intercom_sync] GET")
    expect(IntercomSync.thread_client.__send__(:trace_take)).to eq([[], 0])
  end

  it "attaches once however often it is asked" do
    described_class.attach
    SyncWithIntercom.perform(create_user)
    expect(debug_lines.grep(/synced user/).size).to eq(1)
  end
end
