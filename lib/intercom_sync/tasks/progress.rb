# frozen_string_literal: true

require "ruby-progressbar"

module IntercomSync
  module Tasks
    # Progress of a long task: a live bar on a terminal (ruby-progressbar: count/total, rate,
    # ETA, failures), or, when the output is a pipe or a file (cron, CI, a log), one plain line
    # every `every` seconds, written and flushed as it happens.
    module Progress
      module_function

      def build(out:, total:, every:, unit:, tty: out.respond_to?(:tty?) && out.tty?, clock: nil)
        tty ? Bar.new(out: out, total: total, unit: unit) : Lines.new(out: out, total: total, every: every, unit: unit, clock: clock)
      end

      def duration(seconds)
        return "--:--:--" unless seconds&.finite?

        seconds = seconds.round
        format("%<h>d:%<m>02d:%<s>02d", h: seconds / 3600, m: seconds / 60 % 60, s: seconds % 60)
      end

      # (1, "request") -> "1 request"; (12345, "request") -> "12,345 requests"
      def count(value, noun)
        "#{number(value)} #{noun}#{'s' unless value == 1}"
      end

      # 12345 -> "12,345"
      def number(value)
        value.to_i.to_s.reverse.scan(/\d{1,3}/).join(",").reverse.then { |s| value.to_i.negative? ? "-#{s}" : s }
      end

      # The terminal's bar; failures show in its title.
      class Bar
        def initialize(out:, total:, unit:)
          @failed = 0
          @unit = unit
          # (%E is " ETA: 00:01:02" while running; %a, "Time: 00:01:40", once done)
          @bar = ProgressBar.create(output: out, total: total, title: failures, throttle_rate: 0.1, autofinish: false,
                                    format: "%c/%C #{unit} |%B| %p%% %R #{unit}/s,%E, %t")
        end

        def advance(by = 1)
          @bar.progress += by
        end

        def failed(by = 1)
          @failed += by
          @bar.title = failures
        end

        def log(text)
          @bar.log(text)
        end

        def finish
          @bar.format = "%c/%C #{@unit} |%B| %p%% %R #{@unit}/s, %a, %t"
          @bar.finish unless @bar.finished?
        end

        private

        def failures
          "#{@failed} failed"
        end
      end

      # A line every `every` seconds (0: after each step), and one at the end:
      #   backfill: 1,200/5,000 users (24%), 240.1 users/s, ETA 0:00:15, 0 failed
      class Lines
        def initialize(out:, total:, every:, unit:, clock: nil)
          @out = out
          @total = total
          @every = every
          @unit = unit
          @clock = clock || -> { Process.clock_gettime(Process::CLOCK_MONOTONIC) }
          @started = @last = @clock.call
          @count = 0
          @failed = 0
        end

        def advance(by = 1)
          @count += by
          now = @clock.call
          return unless (now - @last) >= @every

          @last = now
          emit(now)
        end

        def failed(by = 1)
          @failed += by
        end

        def log(text)
          write(text)
        end

        # The last count, unless its line was just written.
        def finish
          emit(@clock.call) unless @emitted == @count
        end

        private

        def emit(now)
          @emitted = @count
          elapsed = now - @started
          rate = elapsed.positive? ? @count / elapsed : nil
          left = @total && rate&.positive? ? (@total - @count) / rate : nil
          share = @total.to_i.positive? ? " (#{(100.0 * @count / @total).floor}%)" : ""
          write("backfill: #{Progress.number(@count)}/#{Progress.number(@total)} #{@unit}#{share}, " \
                "#{rate ? format('%.1f', rate) : '-'} #{@unit}/s, ETA #{Progress.duration(left)}, #{@failed} failed")
        end

        def write(text)
          @out.puts(text)
          @out.flush
        end
      end
    end
  end
end
