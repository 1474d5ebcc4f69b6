# frozen_string_literal: true

# Rake tasks for a Rails app (loaded by IntercomSync::Railtie).
namespace :intercom_sync do
  user_class = -> { IntercomSync.configuration.user_class.to_s.then { |name| Object.const_get(name) } }
  # Every task that talks to Intercom says why it cannot, and fails, when the sync is off.
  require_active = -> { IntercomSync.configuration.inactive_reason&.then { |reason| abort(reason) } }

  desc "Sync one user now: rake intercom_sync:sync[USER_ID]"
  task :sync, [:user_id] => :environment do |_, args|
    require_active.call
    puts SyncWithIntercom.perform(user_class.call.find(args.fetch(:user_id))).inspect
  end

  desc "Show what syncing one user would change, without writing: rake intercom_sync:plan[USER_ID]"
  task :plan, [:user_id] => :environment do |_, args|
    require_active.call
    result = SyncWithIntercom.plan(user_class.call.find(args.fetch(:user_id)))
    puts result.inspect
    result.planned.each { |call| puts "  #{call['method']} #{call['path']} #{call['body']&.to_json}" }
  end

  desc "Sync every user in this process, reading contacts 150 per request: rake intercom_sync:sync_all[CONCURRENCY]"
  task :sync_all, [:concurrency] => :environment do |_, args|
    require_active.call
    done = 0
    report = SyncWithIntercom.perform_all(user_class.call.all, concurrency: Integer(args[:concurrency] || 8),
                                                               collect: false) do |outcome|
      done += 1
      warn "intercom_sync: user #{outcome.user&.id}: #{outcome.error.class}: #{outcome.error.message}" unless outcome.ok?
      puts "#{done} users done" if (done % 1000).zero?
    end
    puts format("synced %<ok>d users, %<failed>d failed, %<requests>d requests in %<elapsed>.1f s",
                ok: report.succeeded, failed: report.failed, requests: report.requests, elapsed: report.elapsed)
    abort "intercom_sync: #{report.failed} users failed to sync" if report.failed.positive? # a cron sees it
  end

  desc "Enqueue SyncWithIntercomJob for every user (queue crm_sync)"
  task enqueue_all: :environment do
    require_active.call # jobs enqueued now would each do nothing
    require "intercom_sync/job"
    count = 0
    user_class.call.find_each do |user|
      SyncWithIntercomJob.perform_later(user)
      count += 1
    end
    puts "enqueued #{count} syncs"
  end

  desc "Run the Intercom emulator on 127.0.0.1 (PORT=4010 TOKEN=emulator-token)"
  task :emulator do
    require "intercom_sync/emulator"
    emulator = IntercomSync::Emulator.new(port: Integer(ENV.fetch("PORT", "4010")),
                                          token: ENV.fetch("TOKEN", IntercomSync::Emulator::DEFAULT_TOKEN)).start
    puts "Intercom emulator on #{emulator.base_url} (token #{emulator.token}); Ctrl-C stops it"
    $stdout.flush # through a pipe, the address would otherwise arrive only at exit
    puts "Intercom emulator stopped (#{emulator.serve_until_signal})"
  end
end
