package org.carapace.monitoring.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal MQTT 3.1.1 broker for the cases a real Mosquitto cannot be made to show: it accepts every connection and
 * acknowledges every QoS 1 publish, and answers a SUBSCRIBE as the test says: refused (SUBACK 0x80, MQTT 3.1.1 §3.9.3),
 * with the connection closed (§3.8.4 lets a server do that), or not at all.
 */
final class FakeBroker implements AutoCloseable {

    /** What the broker does with a SUBSCRIBE. */
    enum OnSubscribe { REFUSE, DISCONNECT, IGNORE }

    private final ServerSocket server;
    private final OnSubscribe onSubscribe;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final List<String> published = new CopyOnWriteArrayList<>();
    final AtomicInteger connects = new AtomicInteger();
    final AtomicInteger subscribes = new AtomicInteger();

    FakeBroker(OnSubscribe onSubscribe) throws IOException {
        this.onSubscribe = onSubscribe;
        this.server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "fake-broker");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                sockets.add(socket);
                Thread t = new Thread(() -> serve(socket), "fake-broker-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket; DataInputStream in = new DataInputStream(socket.getInputStream())) {
            OutputStream out = socket.getOutputStream();
            while (true) {
                int header = in.read();
                if (header < 0) {
                    return;
                }
                int length = 0;
                int shift = 0;
                int b;
                do {
                    b = in.readUnsignedByte();
                    length |= (b & 0x7f) << shift;
                    shift += 7;
                } while ((b & 0x80) != 0);
                byte[] body = in.readNBytes(length);
                switch (header >> 4) {
                    case 1 -> {
                        connects.incrementAndGet();
                        out.write(new byte[] {0x20, 2, 0, 0});
                    }
                    case 3 -> {
                        int topicLength = ((body[0] & 0xff) << 8) | (body[1] & 0xff);
                        published.add(new String(body, 2, topicLength, StandardCharsets.UTF_8));
                        if (((header >> 1) & 3) == 1) {
                            out.write(new byte[] {0x40, 2, body[2 + topicLength], body[3 + topicLength]});
                        }
                    }
                    case 8 -> {
                        subscribes.incrementAndGet();
                        switch (onSubscribe) {
                            case REFUSE -> out.write(new byte[] {(byte) 0x90, 3, body[0], body[1], (byte) 0x80});
                            case DISCONNECT -> {
                                return;
                            }
                            case IGNORE -> { }
                            default -> throw new IllegalStateException();
                        }
                    }
                    case 12 -> out.write(new byte[] {(byte) 0xd0, 0});
                    case 14 -> {
                        return;
                    }
                    default -> { }
                }
                out.flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    long events() {
        return published.stream().filter(topic -> topic.contains("/events/")).count();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
