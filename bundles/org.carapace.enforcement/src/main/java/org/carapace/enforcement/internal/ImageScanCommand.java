package org.carapace.enforcement.internal;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.carapace.api.admin.AdminCommand;
import org.carapace.api.admin.AdminException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code image.scan}: runs an at-rest scan now (or joins the one running) and answers its per-image results;
 * {@code {"last": true}} answers the last finished scan without starting one.
 */
@Component(service = AdminCommand.class, property = {
    AdminCommand.COMMAND_NAME + "=image.scan",
    AdminCommand.COMMAND_DESCRIPTION + "=scan the registered image stores against the signed policy now"})
public final class ImageScanCommand implements AdminCommand {

    private final ImageScanComponent scanner;

    @Activate
    public ImageScanCommand(@Reference ImageScanComponent scanner) {
        this.scanner = scanner;
    }

    @Override
    public Map<String, Object> execute(Map<String, Object> arguments) throws AdminException {
        Object last = arguments.getOrDefault("last", false);
        if (!(last instanceof Boolean)) {
            throw new AdminException(AdminException.Code.BAD_REQUEST, "\"last\" must be a boolean");
        }
        if ((Boolean) last) {
            Map<String, Object> result = scanner.last();
            if (result.isEmpty()) {
                throw new AdminException(AdminException.Code.BAD_REQUEST, "no image scan has finished yet");
            }
            return result;
        }
        try {
            return scanner.request("admin").get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(AdminException.Code.INTERNAL, "interrupted while waiting for the image scan");
        } catch (ExecutionException e) {
            throw new AdminException(AdminException.Code.INTERNAL, "the image scan failed: " + e.getCause().getMessage(),
                e.getCause());
        }
    }
}
