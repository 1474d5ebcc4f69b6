# frozen_string_literal: true

require "rake"
require "stringio"

# Runs the gem's rake tasks through Rake itself: a Rake::Application that loads
# lib/intercom_sync/tasks.rake beside a stub :environment task (what a Rails app's Rakefile
# has), with ENV set for the run, stdout and stderr captured (a StringIO is not a TTY: the
# plain progress lines), and the exit status recorded.
module RakeHelpers
  TaskRun = Struct.new(:out, :err, :status)

  def rake_application
    @rake_application ||= Rake::Application.new.tap do |app|
      Rake.application = app
      app.define_task(Rake::Task, :environment)
      load File.expand_path("../../lib/intercom_sync/tasks.rake", __dir__)
    end
  end

  def run_task(name, *args, env: {})
    out = StringIO.new
    err = StringIO.new
    saved = env.to_h { |k, _| [k, ENV.fetch(k, nil)] }
    env.each { |k, v| ENV[k] = v }
    $stdout = out
    $stderr = err
    status = 0
    begin
      task = rake_application[name]
      rake_application.tasks.each(&:reenable)
      task.invoke(*args)
    rescue SystemExit => e
      status = e.status
    end
    TaskRun.new(out.string, err.string, status)
  ensure
    $stdout = STDOUT
    $stderr = STDERR
    saved&.each { |k, v| v.nil? ? ENV.delete(k) : ENV[k] = v }
  end
end

RSpec.configure do |config|
  config.include RakeHelpers, rake: true
  config.after(:each, rake: true) { Rake.application = Rake::Application.new }
end
