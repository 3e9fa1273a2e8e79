# A tiny ActionCable app (Debian's ruby-actioncable, served by puma) that streams {id, ts, pad}:
# EventsChannel streams from "events"; a broadcast loop emits RATE events/s of PAYLOAD bytes (RATE=0:
# none), and the channel's `publish` action broadcasts what a client performs (evbench publishing).
#
#   RATE=500 PAYLOAD=8192 puma -b tcp://127.0.0.1:3000 -t 4:4 examples/actioncable/config.ru
#   npx evbench run slow-client --target ws://127.0.0.1:3000/cable --adapter actioncable --publish server \
#       --topic '{"channel":"EventsChannel"}'
require 'logger'
require 'action_cable'

module ApplicationCable
  class Connection < ActionCable::Connection::Base; end
  class Channel < ActionCable::Channel::Base; end
end

class EventsChannel < ApplicationCable::Channel
  def subscribed
    stream_from 'events'
  end

  # evbench publishing: {"action":"publish", …event…} performed on this channel
  def publish(data)
    ActionCable.server.broadcast('events', data.except('action'))
  end
end

ActionCable.server.config.cable = { 'adapter' => 'async' }
ActionCable.server.config.connection_class = -> { ApplicationCable::Connection }
ActionCable.server.config.disable_request_forgery_protection = true
ActionCable.server.config.logger = Logger.new($stderr, level: Logger::WARN)

rate = ENV.fetch('RATE', '500').to_f
if rate > 0
  pad = 'x' * ENV.fetch('PAYLOAD', '8192').to_i
  Thread.new do
    now = -> { Process.clock_gettime(Process::CLOCK_REALTIME, :float_millisecond) }
    start = now.call
    id = 0
    loop do
      due = start + id * 1000.0 / rate
      wait = due - now.call
      sleep(wait / 1000.0) if wait > 0
      id += 1
      # stamped with its due time (epoch ms): lateness of this loop counts as latency
      ActionCable.server.broadcast('events', { id: id, ts: due, pad: pad })
    end
  end
end

map '/cable' do
  run ActionCable.server
end
